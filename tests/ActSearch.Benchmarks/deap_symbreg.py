#!/usr/bin/env python3
"""DEAP's classic symbolic-regression setup, timed, as the reference for `actsearch fit`'s speed.

Population 300, 40 generations, eaSimple (crossover 0.5, mutation 0.1), tournament of 3, one-point
crossover, uniform subtree mutation with full trees of depth 0..2, height limit 17, primitives
add/sub/mul/protected div/neg/sin/cos, an ephemeral constant in {-1, 0, 1}, mean squared error on 20
points of x^4 + x^3 + x^2 + x in [-1, 1). Prints one JSON line: evaluations, seconds, evaluations/s.
Needs Debian's python3-deap: /usr/bin/python3 deap_symbreg.py [seed]
"""
import json
import math
import operator
import random
import sys
import time

from deap import algorithms, base, creator, gp, tools


def protected_div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        return 1


def main(seed):
    random.seed(seed)
    pset = gp.PrimitiveSet("MAIN", 1)
    for fn, arity in [(operator.add, 2), (operator.sub, 2), (operator.mul, 2), (protected_div, 2),
                      (operator.neg, 1), (math.cos, 1), (math.sin, 1)]:
        pset.addPrimitive(fn, arity)
    pset.addEphemeralConstant("rand101", lambda: random.randint(-1, 1))
    pset.renameArguments(ARG0="x")

    if not hasattr(creator, "FitnessMin"):
        creator.create("FitnessMin", base.Fitness, weights=(-1.0,))
        creator.create("Individual", gp.PrimitiveTree, fitness=creator.FitnessMin)

    toolbox = base.Toolbox()
    toolbox.register("expr", gp.genHalfAndHalf, pset=pset, min_=1, max_=2)
    toolbox.register("individual", tools.initIterate, creator.Individual, toolbox.expr)
    toolbox.register("population", tools.initRepeat, list, toolbox.individual)
    toolbox.register("compile", gp.compile, pset=pset)

    points = [x / 10.0 for x in range(-10, 10)]
    evaluations = [0]

    def evaluate(individual):
        evaluations[0] += 1
        f = toolbox.compile(expr=individual)
        errors = ((f(x) - x**4 - x**3 - x**2 - x) ** 2 for x in points)
        return (math.fsum(errors) / len(points),)

    toolbox.register("evaluate", evaluate)
    toolbox.register("select", tools.selTournament, tournsize=3)
    toolbox.register("mate", gp.cxOnePoint)
    toolbox.register("expr_mut", gp.genFull, min_=0, max_=2)
    toolbox.register("mutate", gp.mutUniform, expr=toolbox.expr_mut, pset=pset)
    limit = gp.staticLimit(key=operator.attrgetter("height"), max_value=17)
    toolbox.decorate("mate", limit)
    toolbox.decorate("mutate", limit)

    population = toolbox.population(n=300)
    hof = tools.HallOfFame(1)
    start = time.perf_counter()
    algorithms.eaSimple(population, toolbox, 0.5, 0.1, 40, halloffame=hof, verbose=False)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "tool": "deap",
        "evaluations": evaluations[0],
        "seconds": round(seconds, 4),
        "evaluations_per_second": round(evaluations[0] / seconds, 1),
        "best_mse": hof[0].fitness.values[0],
        "best": str(hof[0]),
    }))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 318)
