using Lockout.Benchmarks.Load;
using Lockout.Benchmarks.Systems;
using Spectre.Console;

namespace Lockout.Benchmarks.Scenarios;

/// <summary>
/// <c>--hold</c>: the systems up and warm, one locked hot account on each, until Ctrl+C — for profilers,
/// dotnet-counters and wrk run by hand.
/// </summary>
internal static class HoldMode
{
    public static async Task RunAsync(BenchmarkSession session, HashSetting hash, CancellationToken cancellationToken)
    {
        var accounts = new AccountSet("hold-hot", 1, BenchmarkSession.PasswordsFor(hash));
        var wrong = accounts.EncodeAll(correctPassword: false)[0];
        foreach (var system in session.Systems)
        {
            await system.SeedAsync(accounts, cancellationToken);
            var lockIt = LoadRun.ClosedLoop(system.LoginEndpoint, new SequenceRequestPlan(LockoutSystem.GuessBudget + 1, _ => new LoginRequest(wrong, 0)), 1, duration: null);
            await lockIt.RunAsync(cancellationToken);

            var processes = string.Join(", ", system.Processes.Select(group => $"{group.Role} {string.Join(' ', group.Pids)}"));
            AnsiConsole.MarkupLine(Markup.Escape($"{system.Name}: http://{system.LoginEndpoint}/login, account {accounts.Username(0)} locked; processes: {processes}"));
            AnsiConsole.MarkupLine(Markup.Escape($"  wrk -t2 -c1000 -d15s -s bench/Lockout.Benchmarks/wrk-login.lua http://{system.LoginEndpoint}/login"));
        }

        AnsiConsole.MarkupLine("Holding; Ctrl+C stops every system.");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
