// flow_table: not written yet
