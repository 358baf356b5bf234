"""POST /api/v1/auth/token: trade a username and password for a bearer token."""
from __future__ import annotations

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView

from gerai import auth
from gerai.api import API_PREFIX, ApiBlueprint
from gerai.extensions import db_session
from gerai.guard import public

blp = ApiBlueprint("auth", __name__, url_prefix=f"{API_PREFIX}/auth", description="Sign in")


class CredentialsSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=256))


class TokenSchema(ma.Schema):
    token = ma.fields.String()
    role = ma.fields.String()
    username = ma.fields.String()
    expires_at = ma.fields.AwareDateTime()


@blp.route("/token")
class Token(MethodView):
    gerai_public = True

    @blp.arguments(CredentialsSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Wrong username or password (the same answer for both)")
    @blp.alt_response(429, description="Too many failed sign-ins for this name")
    def post(self, creds):
        """Sign in and get a bearer token"""
        user = auth.authenticate(db_session(), creds["username"], creds["password"], request.remote_addr or "")
        token, expires_at = auth.issue_token(current_app.config["SECRET_KEY"], user)
        return {"token": token, "role": user.role, "username": user.username, "expires_at": expires_at}
