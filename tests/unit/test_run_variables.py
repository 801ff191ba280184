"""A run's variables: environment < plan machine < data set < runtime data < the start's own
(domain/variables.py)."""

from testament.domain.variables import run_variables


def test_each_layer_overrides_the_ones_before_it_name_by_name() -> None:
    merged = run_variables(
        environment={"url": "env", "user": "env", "region": "env", "build": "env", "token": "env"},
        machine={"user": "machine", "region": "machine", "build": "machine", "token": "machine"},
        data_set={"region": "data", "build": "data", "token": "data"},
        runtime_data={"build": "runtime", "token": "runtime"},
        given={"token": "given"},
    )
    assert merged == {
        "url": "env",
        "user": "machine",
        "region": "data",
        "build": "runtime",
        "token": "given",
    }


def test_a_name_only_one_layer_gives_keeps_that_value() -> None:
    merged = run_variables(environment={}, machine={}, data_set={"row": 3}, runtime_data={}, given={})
    assert merged == {"row": 3}
