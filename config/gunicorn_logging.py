"""gunicorn's access log, with webhook keys and credential-like query values masked (bin/web).

gunicorn writes the request line, the path, the query string and the referer of every request;
a channel's inbound key is in the path of each webhook delivery, Meta's verify token in the query
of its handshake. The same masks as the JSON logs apply (config.logging.mask_url_secrets).
"""

from gunicorn.glogging import Logger

from config.logging import mask_url_secrets

URL_ATOMS = ("r", "U", "q", "f")  # request line, path, query string, referer


class MaskingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in URL_ATOMS:
            if isinstance(atoms.get(name), str):
                atoms[name] = mask_url_secrets(atoms[name])
        return atoms
