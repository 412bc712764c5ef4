enum GraphZooPlaceholder {}
