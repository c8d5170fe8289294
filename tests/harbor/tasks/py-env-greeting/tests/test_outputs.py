import os
import subprocess


def test_greeting_reads_config_and_env() -> None:
    out = subprocess.run(
        ["python3", "-c", "import greet; print(greet.greeting())"],
        cwd="/srv/app",
        capture_output=True,
        text=True,
        env={**os.environ, "APP_USER": "tester"},
    )
    assert out.stdout.strip() == "Ahoy tester", out.stderr


def test_greeting_follows_the_config(tmp_path: object) -> None:
    with open("/srv/app/config.yaml") as f:
        assert "Ahoy" in f.read()
