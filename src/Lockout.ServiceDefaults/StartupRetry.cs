using Polly;
using Polly.Retry;

namespace Lockout.ServiceDefaults;

/// <summary>
/// Retries a start-up step whose dependency may not be up yet (the database, its schema) until it succeeds or the
/// host stops: exponential backoff from <see cref="FirstDelay"/> to at most <see cref="MaxDelay"/> between attempts.
/// </summary>
/// <remarks>
/// Built without Polly's telemetry: a step's result (a row, a hash) is never logged. The caller logs each retry
/// through <c>onRetry</c>.
/// </remarks>
public static class StartupRetry
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    /// <param name="shouldRetry">The failures that mean "not up yet"; any other ends the step.</param>
    /// <param name="onRetry">Called before each pause with the failure and the pause.</param>
    /// <param name="timeProvider">The clock the pauses run on (a fake one in tests).</param>
    public static ResiliencePipeline Create(Func<Exception, bool> shouldRetry, Action<Exception, TimeSpan> onRetry, TimeProvider? timeProvider = null)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider ?? TimeProvider.System };
        return builder
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle(shouldRetry),
                BackoffType = DelayBackoffType.Exponential,
                Delay = FirstDelay,
                MaxDelay = MaxDelay,
                MaxRetryAttempts = int.MaxValue, // until the host stops: its token cancels the pause
                OnRetry = arguments =>
                {
                    onRetry(arguments.Outcome.Exception!, arguments.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }
}
