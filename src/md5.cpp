// md5: not written yet
