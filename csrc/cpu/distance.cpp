// pairwise distances, k-nearest selection and kernel matrices (being written).
