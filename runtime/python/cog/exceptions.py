"""Exceptions a predictor can see."""


class CancelationException(BaseException):
    """Raised inside a running synchronous predict() when its prediction is canceled (as in Cog).

    It derives from BaseException, not Exception, so that ``except Exception`` in model code does not swallow it.
    """
