using Lockout.ServiceDefaults;
using Microsoft.Extensions.Time.Testing;

namespace Lockout.UnitTests.ServiceDefaults;

public sealed class StartupRetryTests
{
    [Fact]
    public async Task A_step_is_retried_until_it_succeeds_with_pauses_doubling_from_250_ms_up_to_5_s()
    {
        const int failures = 100; // far past the attempt where 250 ms × 2^n would overflow a TimeSpan
        var clock = new FakeTimeProvider();
        var pauses = new List<TimeSpan>();
        var calls = 0;
        var retry = StartupRetry.Create(exception => exception is TimeoutException, (_, pause) => pauses.Add(pause), clock);

        var step = retry.ExecuteAsync(_ => ++calls <= failures ? throw new TimeoutException("not up yet") : ValueTask.FromResult(calls), TestContext.Current.CancellationToken).AsTask();
        // Each pause ends when the fake clock passes it; the yield lets the retry schedule its next pause.
        var giveUp = clock.GetUtcNow().AddDays(1);
        while (!step.IsCompleted && clock.GetUtcNow() < giveUp)
        {
            clock.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Yield();
        }

        Assert.Equal(failures + 1, await step);
        Assert.Equal(
            [250, 500, 1000, 2000, 4000, .. Enumerable.Repeat(5000, failures - 5)],
            pauses.Select(pause => (int)pause.TotalMilliseconds));
    }

    [Fact]
    public async Task Another_failure_ends_the_step_at_once()
    {
        var retry = StartupRetry.Create(exception => exception is TimeoutException, (_, _) => { }, new FakeTimeProvider());

        await Assert.ThrowsAsync<InvalidOperationException>(() => retry.ExecuteAsync<int>(_ => throw new InvalidOperationException("a bug"), TestContext.Current.CancellationToken).AsTask());
    }

    [Fact]
    public async Task Stopping_the_host_ends_the_retries()
    {
        var clock = new FakeTimeProvider();
        using var stopping = new CancellationTokenSource();
        var retry = StartupRetry.Create(exception => exception is TimeoutException, (_, _) => stopping.Cancel(), clock);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            retry.ExecuteAsync<int>(_ => throw new TimeoutException("not up yet"), stopping.Token).AsTask());
    }
}
