"""The actor runtime (layer L2): scheduler, processes, channels, messaging, function calls."""

from ._channel import Channel as Channel
from ._channels import ChannelApi as ChannelApi
from ._funcs import FuncsApi as FuncsApi
from ._loader import EntryLoader as EntryLoader
from ._loader import LoadedEntry as LoadedEntry
from ._model import Exit as Exit
from ._model import Process as Process
from ._model import Thread as Thread
from ._process_api import ProcessApi as ProcessApi
from ._scheduler import Scheduler as Scheduler
from ._spawn import Spawner as Spawner
from ._spawn import SpawnError as SpawnError
from ._stdlib import Console as Console
from ._stdlib import StdLib as StdLib
from ._time_api import TimeApi as TimeApi

__all__ = [
    "Channel",
    "ChannelApi",
    "Console",
    "EntryLoader",
    "Exit",
    "FuncsApi",
    "LoadedEntry",
    "Process",
    "ProcessApi",
    "Scheduler",
    "SpawnError",
    "Spawner",
    "StdLib",
    "Thread",
    "TimeApi",
]
