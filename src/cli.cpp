// cli: not written yet
