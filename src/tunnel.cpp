// tunnel: not written yet
