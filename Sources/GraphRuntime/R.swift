enum R {}
