"""Your first portal in Flask: sign-in, plate lookup and the document list.

Run it with ``flask --app app run`` after ``setup_data.py``; the settings come
from the environment (``FLASK_SECRET_KEY``, ``FLASK_DATABASE_URL``).
"""

from flask import Flask, redirect, render_template, request

from portalkit import Found, Portal, errors, perms
from portalkit.contrib import flask as pk

app = Flask(__name__)
app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_DATABASE_URL
portal = Portal.from_url(app.config["DATABASE_URL"], secret_key=app.config["SECRET_KEY"])
pk.init_app(app, portal=portal)  # checks the database and the tenant


@app.route("/login", methods=["GET", "POST"])
@pk.sensitive  # never cached
def login():
    try:
        if request.method == "POST":
            pk.login(request.form["email"], request.form["password"])
            return redirect(pk.safe_next(request.args.get("next"), "/"))
    except errors.AuthenticationError as error:  # one answer for every wrong combination
        return render_template("login.html", error=error.message), 401
    return render_template("login.html")


@app.get("/lookup")
@pk.require(perms.ASSET_VIEW)  # not signed in: to /login?next=...
def lookup():
    plate = request.args.get("plate", "")
    result = pk.request_from().assets.resolve(plate) if plate else None
    asset = result.asset if isinstance(result, Found) else None  # or NotFound, Ambiguous
    status = 404 if plate and asset is None else 200  # not yours = not there
    return render_template("lookup.html", plate=plate, asset=asset), status


@app.get("/")
@pk.require()
def documents():
    page = pk.request_from().documents.list()  # only what this user may see
    return render_template("documents.html", documents=page.items)
