// link_layer: not written yet
