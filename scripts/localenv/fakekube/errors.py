"""API errors rendered as `metav1.Status` objects.

Clients (kubectl, client-go, our Swift client) branch on `reason` and `code`, and show `message` to people, so
every failure leaves the server as a Status whose reason and message follow the real kube-apiserver wording.
"""


class ApiError(Exception):
    """A failure with its HTTP code, Status reason and message; `headers` are extra response headers."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self):
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def _details(rt, name, kind=None):
    details = {"kind": kind or rt.plural}
    if name:
        details["name"] = name
    if rt.group:
        details["group"] = rt.group
    return details


def not_found(rt, name):
    return ApiError(404, "NotFound", f'{rt.qualified} "{name}" not found', _details(rt, name))


def path_not_found():
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(rt, name):
    return ApiError(409, "AlreadyExists", f'{rt.qualified} "{name}" already exists', _details(rt, name))


def conflict(rt, name, why="the object has been modified; please apply your changes to the latest version and "
                           "try again"):
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {rt.qualified} "{name}": {why}',
                    _details(rt, name))


def invalid(rt, name, causes):
    """422 with one cause per field, formatted like the apiserver's field.ErrorList aggregate."""
    texts = [f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes]
    summary = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    group_kind = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    details = _details(rt, name, kind=rt.kind)
    details["causes"] = [{"reason": c.get("reason", "FieldValueInvalid"), "message": c["message"],
                          "field": c.get("field", "")} for c in causes]
    return ApiError(422, "Invalid", f'{group_kind} "{name}" is invalid: {summary}', details)


def unprocessable(message):
    """422 without field causes, as the apiserver answers a JSON patch that cannot be applied."""
    return ApiError(422, "Invalid", message)


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def unsupported_media_type(accepted):
    return ApiError(415, "UnsupportedMediaType",
                    f"the body of the request was in an unknown format - accepted media types include: "
                    f"{', '.join(accepted)}")


def not_acceptable(accepted):
    return ApiError(406, "NotAcceptable", f"only the following media types are accepted: {', '.join(accepted)}")


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(message, details=None):
    return ApiError(403, "Forbidden", message, details)


def method_not_allowed(method):
    return ApiError(405, "MethodNotAllowed", f"the server does not allow this method on the requested resource "
                                             f"({method})")


def expired(message):
    """410 with reason Expired: what client-go's reflector expects for a too-old resourceVersion."""
    return ApiError(410, "Expired", message)


def too_large(limit):
    return ApiError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def too_many_requests(message, retry_after):
    return ApiError(429, "TooManyRequests", message, {"retryAfterSeconds": retry_after},
                    headers={"Retry-After": str(retry_after)})


def internal(message):
    return ApiError(500, "InternalError", f"Internal error occurred: {message}", {"causes": [{"message": message}]})


def timeout(message, retry_after=1):
    return ApiError(504, "Timeout", message, {"retryAfterSeconds": retry_after})


# Reasons for the codes that fault injection may ask for, so an injected error looks like a real one.
REASON_FOR_CODE = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
    409: "Conflict", 410: "Gone", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
    500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
}
