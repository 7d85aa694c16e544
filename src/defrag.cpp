// defrag: not written yet
