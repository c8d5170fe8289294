import yaml  # noqa: F401


def greeting() -> str:
    raise NotImplementedError
