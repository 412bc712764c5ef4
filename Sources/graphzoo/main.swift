print("graphzoo")
