"""Dependency ordering of services: edges, cycle detection, deterministic order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..errors import WippyError


class SupervisionError(WippyError):
    """The supervisor cannot boot: a dependency cycle, or required services that failed."""


class DependencyCycleError(SupervisionError):
    """Services depend on each other in a cycle; the message names the cycle.

    Attributes:
        cycle: The service IDs of the cycle, the first one repeated at the end.
    """

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(
            "dependency cycle between services: " + " -> ".join(cycle)
            + " (check lifecycle.requires / depends_on)"
        )


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """Returns one cycle of ``graph`` (node -> the nodes it depends on), or None.

    Nodes are visited in sorted order, so the same registry always reports the same
    cycle.
    """
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(graph, white)
    for root in sorted(graph):
        if color[root] != white:
            continue
        # Iterative DFS: (node, iterator over its sorted dependencies).
        path = [root]
        stack = [iter(sorted(graph[root]))]
        color[root] = grey
        while stack:
            dep = next(stack[-1], None)
            if dep is None:
                color[path.pop()] = black
                stack.pop()
                continue
            if dep not in color:
                continue
            if color[dep] == grey:
                return [*path[path.index(dep):], dep]
            if color[dep] == white:
                color[dep] = grey
                path.append(dep)
                stack.append(iter(sorted(graph[dep])))
    return None


def topological_order(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Nodes with every dependency before its dependents; ties broken by ID.

    Raises:
        DependencyCycleError: the graph has a cycle.
    """
    cycle = find_cycle(graph)
    if cycle is not None:
        raise DependencyCycleError(cycle)
    order: list[str] = []
    done: set[str] = set()
    pending = sorted(graph)
    while pending:
        rest = []
        for node in pending:
            if all(dep in done or dep not in graph for dep in graph[node]):
                order.append(node)
            else:
                rest.append(node)
        done.update(order)
        pending = rest
    return order
