"""The train kind's parameters: a wrong list of numbers gets a sentence for people."""

import pytest
from pydantic import ValidationError

from services.train import Parameters


@pytest.mark.parametrize("filters", ["16,x", "16,-1", ",", "1.5"])
def test_a_wrong_list_of_filters_says_what_is_wanted(filters):
    with pytest.raises(ValidationError) as raised:
        Parameters(dataset="d", labels="a.fits,1", filters=filters)
    text = str(raised.value)
    assert "positive whole numbers separated by commas" in text
    assert "invalid literal" not in text
