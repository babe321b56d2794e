softmax = log_softmax = cross_entropy = None
