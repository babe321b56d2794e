import pytest

from rosenblatt import _C


@pytest.fixture(params=list(_C.supported_isas()))
def isa(request):
    """Runs a test once on every SIMD path this build and CPU support."""
    previous = _C.get_isa()
    _C.set_isa(request.param)
    yield request.param
    _C.set_isa(previous)
