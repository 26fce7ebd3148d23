namespace Lockout.Tests.Infrastructure;

/// <summary>
/// Tests that measure the whole process or time an answer against a second run alone, after the parallel tests: a
/// thread count is process-wide, and on two cores another test's thousand concurrent logins delay a timer by half a
/// second, which is then what a fault test measures instead of the fault.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAloneCollection
{
    public const string Name = "Runs alone";
}
