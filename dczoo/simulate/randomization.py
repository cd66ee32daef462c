"""Per-ZMW randomized error models and fixed parameter overrides for `dczoo simulate`.

A model trained on one simulator learns that simulator. `ParameterRanges` draws,
for every ZMW, each named parameter uniformly from its range, so a training set
spans many error models (rates and their mix, homopolymer and systematic errors,
kinetics with more or less error signal, pass counts). `apply_overrides` sets
parameters to fixed values, which is how test sets *outside* the training ranges
("shift sets") are made.

Parameter names are `SECTION.FIELD` with SECTION one of `errors`
(`SubreadErrorModel`), `kinetics` (`KineticsModel`) or `molecule`
(`MoleculeModel`), plus two derived knobs:

- `errors.rate_scale`: multiplies the insertion, deletion and substitution rates
  (1 = as set; 1.3 = subreads about 3 points less accurate);
- `kinetics.error_signal`: multiplies the share of erroneous bases that are
  short pulses and of inserted bases that follow a pause (0 = kinetics carry no
  error signal, 1 = as set).

Example:
>>> import numpy as np
>>> from dczoo.simulate.simulator import SimulationConfig
>>> ranges = ParameterRanges.from_dict({"errors.deletion_rate": [0.02, 0.03]})
>>> config = ranges.draw(SimulationConfig(), np.random.default_rng(0))
>>> 0.02 <= config.errors.deletion_rate <= 0.03
True
"""

import dataclasses
import json
import os

import numpy as np

from dczoo.errors import DczooInputError

SECTIONS = ("errors", "kinetics", "molecule")
DERIVED = ("errors.rate_scale", "kinetics.error_signal")
_RATE_FIELDS = ("insertion_rate", "deletion_rate", "substitution_rate")

# The training ranges of recipes/make_data.py --randomized. Each is wide around
# the default (which matches the real human_1m subreads, docs/simulator.md), and
# each shift set of make_data.py lies outside at least one of them.
DEFAULT_RANGES = {
    "errors.insertion_rate": (0.030, 0.062),
    "errors.deletion_rate": (0.017, 0.036),
    "errors.substitution_rate": (0.010, 0.030),
    "errors.branch_share": (0.15, 0.42),
    "errors.deletion_homopolymer_factor": (1.2, 2.4),
    "errors.long_insertion_share": (0.005, 0.03),
    "errors.systematic_sites_per_kb": (0.5, 3.0),
    "errors.confident_sites_per_kb": (0.2, 1.0),
    "errors.systematic_deletion_share": (0.2, 0.5),
    "errors.zmw_quality_sd": (0.1, 0.3),
    "errors.rate_scale": (0.85, 1.15),
    "kinetics.error_signal": (0.4, 1.3),
    "kinetics.zmw_ip_sd": (0.15, 0.45),
    "molecule.low_pass_share": (0.15, 0.45),
    "molecule.passes_mean": (6.0, 20.0),
}

# The training ranges plus the two kinetic features real subreads show and the
# default simulator lacks (`KineticsModel`): per-position pw/ip factors, from none
# to about 1.4x what human_1m shows (sd 0.29 and 0.36-0.40), and deletion traces
# (human_1m is matched by about 0.8). `DEFAULT_RANGES` stays as it is, so the
# sets made with it can be made again.
CONTEXT_RANGES = dict(DEFAULT_RANGES, **{
    "kinetics.position_pw_sd": (0.0, 0.4),
    "kinetics.position_ip_sd": (0.0, 0.55),
    "kinetics.deletion_signal": (0.0, 1.0),
})

# Names `--randomize` / `ParameterRanges.load` accept besides a JSON file.
NAMED_RANGES = {"default": DEFAULT_RANGES, "context": CONTEXT_RANGES}

# Integer fields are rounded after the draw.
_INTEGER_FIELDS = {"molecule.max_passes", "molecule.min_insert", "molecule.adapter_length",
                   "molecule.min_subread_length", "errors.systematic_min_run"}

_RANDOMIZE_STREAM = 0x5EED


def _numeric_fields(section_object):
    return {f.name for f in dataclasses.fields(section_object)
            if isinstance(getattr(section_object, f.name), (int, float))
            and not isinstance(getattr(section_object, f.name), bool)}


def check_name(name, config):
    """Raises DczooInputError unless `name` is a settable parameter of `config`.

    Args:
        name: str, `SECTION.FIELD`.
        config: SimulationConfig.
    """
    section, _, field = name.partition(".")
    if section not in SECTIONS or not field:
        raise DczooInputError(f"simulation parameter {name!r}: expected SECTION.FIELD with SECTION one of "
                              f"{', '.join(SECTIONS)} (e.g. errors.deletion_rate)")
    if name in DERIVED:
        return
    allowed = _numeric_fields(getattr(config, section))
    if field not in allowed:
        known = sorted(allowed) + [d.split(".")[1] for d in DERIVED if d.startswith(section)]
        raise DczooInputError(f"simulation parameter {name!r}: no numeric field {field!r} in {section} "
                              f"(known: {', '.join(known)})")


def apply_overrides(config, values):
    """A copy of `config` with parameters set to fixed values.

    Args:
        config: SimulationConfig.
        values: dict `SECTION.FIELD` -> number.

    Returns:
        SimulationConfig (validated).

    Raises:
        DczooInputError: for an unknown name or a value the model cannot use.

    Example:
    >>> from dczoo.simulate.simulator import SimulationConfig
    >>> apply_overrides(SimulationConfig(), {"kinetics.error_signal": 0}).kinetics.pause_share
    0.0
    """
    sections = {s: getattr(config, s) for s in SECTIONS}
    changes = {s: {} for s in SECTIONS}
    # plain fields first, then the derived knobs that scale them
    for name, value in sorted(values.items(), key=lambda item: item[0] in DERIVED):
        check_name(name, config)
        section, _, field = name.partition(".")
        value = float(value)
        if not np.isfinite(value):
            raise DczooInputError(f"simulation parameter {name}={value}: must be a finite number")
        if name == "errors.rate_scale":
            if value < 0:
                raise DczooInputError(f"simulation parameter {name}={value}: must be >= 0")
            for rate in _RATE_FIELDS:
                base = changes["errors"].get(rate, getattr(sections["errors"], rate))
                changes["errors"][rate] = base * value
        elif name == "kinetics.error_signal":
            if value < 0:
                raise DczooInputError(f"simulation parameter {name}={value}: must be >= 0")
            kin = sections["kinetics"]
            changes["kinetics"]["short_pulse_share"] = tuple(min(s * value, 1.0) for s in kin.short_pulse_share)
            changes["kinetics"]["pause_share"] = min(kin.pause_share * value, 1.0)
        else:
            if name in _INTEGER_FIELDS:
                value = int(round(value))
            changes[section][field] = value
    out = dataclasses.replace(config, **{s: dataclasses.replace(sections[s], **changes[s])
                                         for s in SECTIONS if changes[s]})
    _validate_values(out, values)
    return out


def _validate_values(config, values):
    try:
        config.molecule.validate()
        config.errors.validate()
    except DczooInputError as error:
        raise DczooInputError(f"{error} (from {', '.join(f'{k}={v}' for k, v in values.items())})") from None
    for name in values:
        section, _, field = name.partition(".")
        if name in DERIVED:
            continue
        value = getattr(getattr(config, section), field)
        if value < 0:
            raise DczooInputError(f"simulation parameter {name}={value}: must be >= 0")


@dataclasses.dataclass
class ParameterRanges:
    """Uniform ranges of simulation parameters, drawn anew for every ZMW.

    Attributes:
        ranges: dict `SECTION.FIELD` -> (low, high).
    """

    ranges: dict

    @classmethod
    def from_dict(cls, ranges):
        """Builds and checks ranges from a dict of name -> [low, high].

        Args:
            ranges: dict `SECTION.FIELD` -> two numbers.

        Returns:
            ParameterRanges.

        Raises:
            DczooInputError: for an unknown name, a range that is not two finite
                numbers with low <= high, or bounds the model cannot use.
        """
        from dczoo.simulate.simulator import SimulationConfig

        if not isinstance(ranges, dict) or not ranges:
            raise DczooInputError("parameter ranges: expected a non-empty mapping of SECTION.FIELD to [low, high]")
        base = SimulationConfig()
        checked = {}
        for name, bounds in ranges.items():
            check_name(name, base)
            try:
                low, high = (float(b) for b in bounds)
            except (TypeError, ValueError):
                raise DczooInputError(f"parameter range {name}: {bounds!r} is not two numbers [low, high]") from None
            if not (np.isfinite(low) and np.isfinite(high)) or low > high:
                raise DczooInputError(f"parameter range {name}: [{low}, {high}] needs finite low <= high")
            checked[name] = (low, high)
        # both ends must give a usable model
        for pick in (0, 1):
            apply_overrides(base, {name: bounds[pick] for name, bounds in checked.items()})
        return cls(checked)

    @classmethod
    def load(cls, spec):
        """Ranges from a name of `NAMED_RANGES` or a JSON file of name -> [low, high].

        Args:
            spec: str. `"default"` (DEFAULT_RANGES), `"context"` (CONTEXT_RANGES)
                or a path.

        Returns:
            ParameterRanges.
        """
        if spec in NAMED_RANGES:
            return cls.from_dict(NAMED_RANGES[spec])
        if not os.path.isfile(spec):
            names = " or ".join(repr(name) for name in NAMED_RANGES)
            raise DczooInputError(f"--randomize {spec}: no such file (give {names} or a JSON file of ranges)")
        try:
            with open(spec) as handle:
                data = json.load(handle)
        except (OSError, ValueError) as error:
            raise DczooInputError(f"--randomize {spec}: not a JSON file of ranges ({error})") from None
        return cls.from_dict(data)

    def upper(self, name, default):
        """The high end of `name`'s range, or `default` when it is not randomized."""
        return self.ranges[name][1] if name in self.ranges else default

    def draw(self, config, rng):
        """A copy of `config` with every ranged parameter drawn uniformly.

        Args:
            config: SimulationConfig (fixed values, possibly overridden).
            rng: numpy Generator.

        Returns:
            SimulationConfig.
        """
        values = {name: rng.uniform(low, high) for name, (low, high) in sorted(self.ranges.items())}
        return apply_overrides(config, values)

    def to_dict(self):
        """dict name -> [low, high] (JSON-ready)."""
        return {name: list(bounds) for name, bounds in self.ranges.items()}


def zmw_config(config, index):
    """The configuration ZMW `index` is simulated with.

    Args:
        config: SimulationConfig; with `config.randomize` set, the ranged
            parameters are drawn from a stream of their own
            (`[seed, index, stream]`), so the ZMW's other draws are unchanged.
        index: int.

    Returns:
        SimulationConfig.
    """
    if config.randomize is None:
        return config
    rng = np.random.default_rng([int(config.seed), int(index), _RANDOMIZE_STREAM])
    return config.randomize.draw(config, rng)
