"""One line for many failures: the commonest reasons with counts and an example each."""

from services.messages import summarise_failures


def test_reasons_differing_only_in_numbers_count_as_one() -> None:
    failures = [
        (f"f{i}.fits", f"no 1-D spectrum found (HDUs: Primary {560 + i} x 3)") for i in range(3000)
    ]
    failures.insert(7, ("page.fits", "not a FITS file: an HTML page"))

    line = summarise_failures(failures)

    assert line == (
        "3000 x no 1-D spectrum found (HDUs: Primary 560 x 3) (e.g. f0.fits); "
        "1 x not a FITS file: an HTML page (e.g. page.fits)"
    )


def test_beyond_the_shown_reasons_the_rest_is_counted() -> None:
    failures = [(f"f{i}", f"reason {chr(97 + i)}") for i in range(5)] + [("g", "reason a")]

    line = summarise_failures(failures, shown=2)

    assert line == "2 x reason a (e.g. f0); 1 x reason b (e.g. f1); 3 more with 3 other reasons"
    assert summarise_failures([]) == ""
