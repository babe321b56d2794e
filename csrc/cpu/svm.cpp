// the SMO solver of the soft-margin SVM dual (being written).
