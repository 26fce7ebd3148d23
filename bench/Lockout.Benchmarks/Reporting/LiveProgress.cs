using System.Diagnostics;
using Lockout.Benchmarks.Load;
using Spectre.Console;

namespace Lockout.Benchmarks.Reporting;

/// <summary>Shows a load run while it runs: a bar (time or requests) and the current requests per second.</summary>
internal static class LiveProgress
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(250);

    /// <param name="expectedSeconds">For timed runs; otherwise the bar counts <paramref name="expectedRequests"/>.</param>
    public static async Task<LoadOutcome> RunAsync(string label, ILoadRun run, double? expectedSeconds, long? expectedRequests, CancellationToken cancellationToken)
    {
        var maxValue = expectedSeconds ?? expectedRequests ?? 1;
        return await AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(label), maxValue: maxValue);
                var running = run.RunAsync(cancellationToken);
                var lastCompleted = 0L;
                var lastTime = Stopwatch.GetTimestamp();
                while (!running.IsCompleted)
                {
                    await Task.WhenAny(running, Task.Delay(Refresh, CancellationToken.None));
                    if (run.Answered is not { } completed)
                    {
                        task.Value = Math.Min(maxValue, run.Elapsed.TotalSeconds);
                        task.Description = Markup.Escape($"{label}  ({run.Generator}: figures at the end)");
                        continue;
                    }

                    var now = Stopwatch.GetTimestamp();
                    var rate = (completed - lastCompleted) / Stopwatch.GetElapsedTime(lastTime, now).TotalSeconds;
                    (lastCompleted, lastTime) = (completed, now);
                    task.Value = Math.Min(maxValue, expectedSeconds is null ? completed : run.Elapsed.TotalSeconds);
                    task.Description = Markup.Escape($"{label}  {rate,9:N0} req/s  {completed:N0} answered");
                }

                task.Value = maxValue;
                return await running;
            });
    }
}
