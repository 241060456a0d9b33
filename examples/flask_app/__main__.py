"""``python -m examples.flask_app``: the demo portal on http://127.0.0.1:5000."""

from examples.flask_app.run import main

main()
