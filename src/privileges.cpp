// privileges: not written yet
