"""Classical machine learning with scikit-learn's API (``rb.classic``).

Estimators take keyword-only hyper-parameters, validate in ``fit`` (which
returns ``self``) and expose fitted attributes ending in ``_``; the heavy
parts run on rosenblatt's native distance, kernel-matrix and GEMM kernels.
"""

from rosenblatt.classic.base import BaseEstimator, ConvergenceWarning, NotFittedError
from rosenblatt.classic.basis import (
    BasisFunctionRegression,
    GaussianFeatures,
    PolynomialFeatures,
    SigmoidFeatures,
)
from rosenblatt.classic.bias_variance import bias_variance_decomposition, plot_bias_variance
from rosenblatt.classic.linear_model import LinearRegression, LogisticRegression, Ridge
from rosenblatt.classic.perceptron import KernelPerceptron, Perceptron
from rosenblatt.classic.svm import SVC, LinearSVC
from rosenblatt.classic.gaussian_mixture import GaussianMixture
from rosenblatt.classic.naive_bayes import GaussianNB
from rosenblatt.classic.pca import PCA
from rosenblatt.classic.kmeans import KMeans, kmeans_plusplus
from rosenblatt.classic.neighbors import (KNeighborsClassifier, KNeighborsRegressor,
                                          select_n_neighbors)
