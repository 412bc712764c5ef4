print("graphrun")
