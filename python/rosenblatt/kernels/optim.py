sgd_ = adagrad_ = adadelta_ = rmsprop_ = adam_ = adamw_ = None
