"""Critical path and slack against an independent implementation: networkx longest paths on
random DAGs of 10-2,000 milestones and dependencies with random durations (some work done)."""

from __future__ import annotations

import math
import random

import networkx as nx
import pytest

from pilot.rules.schedule_graph import Workdays, compute_schedule

from .plans import AS_OF, random_plan

GRAPHS = 500
SOURCE, SINK = "<start>", "<end>"


def _networkx_floats(
    durations: dict[str, int], edges: list[tuple[str, str]], done: set[str]
) -> tuple[int, dict[str, int], list[str]]:
    """Total float of every open node from longest-path distances: start -> node (with the node's
    duration) and node -> end (the durations after it), both by Bellman-Ford on negated weights."""
    graph = nx.DiGraph()
    open_nodes = [n for n in durations if n not in done]
    for node in open_nodes:
        graph.add_edge(SOURCE, node, weight=durations[node])
        graph.add_edge(node, SINK, weight=0)
    for before, after in edges:
        if before not in done and after not in done:
            graph.add_edge(before, after, weight=durations[after])
    length = nx.dag_longest_path_length(graph, weight="weight")
    negated = nx.DiGraph()
    negated.add_weighted_edges_from((u, v, -w) for u, v, w in graph.edges(data="weight"))
    to_node = nx.single_source_bellman_ford_path_length(negated, SOURCE)
    from_node = nx.single_source_bellman_ford_path_length(negated.reverse(copy=True), SINK)
    # A reversed edge keeps the weight of the node it led to, so end -> node sums the durations
    # after the node; start -> node includes the node's own.
    floats = {node: length + to_node[node] + from_node[node] for node in open_nodes}
    longest = [n for n in nx.dag_longest_path(graph, weight="weight") if n not in (SOURCE, SINK)]
    return length, floats, longest


def _sizes(count: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [int(round(math.exp(rng.uniform(math.log(10), math.log(2000))))) for _ in range(count)]


@pytest.mark.parametrize("batch", range(10))
def test_critical_path_and_slack_agree_with_networkx_on_random_dags(batch: int) -> None:
    per_batch = GRAPHS // 10
    workdays = Workdays(AS_OF)
    for number, size in enumerate(_sizes(per_batch, seed=batch)):
        rng = random.Random(batch * 1000 + number)
        data, durations, edges, done = random_plan(rng, size)
        result = compute_schedule(data, AS_OF)
        length, floats, longest = _networkx_floats(durations, edges, done)
        assert workdays.offset_of(result.finish) == length, (batch, number)
        by_id = {n.id: n for n in result.nodes}
        ours = {n.id: n.total_float for n in result.nodes if not n.done}
        assert ours == floats, (batch, number)
        assert {n.id for n in result.nodes if n.critical} == {n for n, f in floats.items() if f == 0}
        assert all(by_id[n].critical for n in longest)
        # the reported path is a path of the graph and as long as the longest one
        path = result.critical_path
        assert all(before in by_id[after].depends_on for before, after in zip(path, path[1:], strict=False))
        assert sum(durations[n] for n in path) == length
