// Every test starts several silo processes that train with TorchSharp: one test at a time on a small machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
