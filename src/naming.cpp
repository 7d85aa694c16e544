// naming: not written yet
