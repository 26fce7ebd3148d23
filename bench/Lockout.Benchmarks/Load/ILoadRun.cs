namespace Lockout.Benchmarks.Load;

/// <summary>One load run, by the built-in generator (<see cref="LoadRun"/>) or by wrk (<see cref="WrkRun"/>).</summary>
internal interface ILoadRun
{
    /// <summary>Since the load began (zero before).</summary>
    TimeSpan Elapsed { get; }

    /// <summary>Answers so far; null from a generator that tells only at its end (wrk).</summary>
    long? Answered { get; }

    /// <summary>Which generator this is (<see cref="LoadGenerator"/>).</summary>
    string Generator { get; }

    Task<LoadOutcome> RunAsync(CancellationToken cancellationToken);
}
