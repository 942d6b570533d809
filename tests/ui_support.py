"""What the app's tests share: input is posted to pygame's event queue, as a user's would arrive."""
import pygame


def key(code: int, mod: int = 0) -> None:
    """Post one key press."""
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=code, mod=mod, unicode=""))
