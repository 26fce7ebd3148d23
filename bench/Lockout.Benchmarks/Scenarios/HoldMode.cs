using Lockout.Benchmarks.Load;
using Lockout.Benchmarks.Systems;
using Spectre.Console;

namespace Lockout.Benchmarks.Scenarios;

/// <summary>
/// <c>--hold</c>: the systems up and warm, one locked hot account on each and the mixed scenario's accounts
/// (<c>hold-mixed-…</c>), until Ctrl+C — for profilers, dotnet-counters and wrk run by hand (<c>wrk-login.lua</c>,
/// <c>wrk-mixed.lua</c>).
/// </summary>
internal static class HoldMode
{
    public static async Task RunAsync(BenchmarkSession session, BenchmarkOptions options, HashSetting hash, CancellationToken cancellationToken)
    {
        var accounts = new AccountSet("hold-hot", 1, BenchmarkSession.PasswordsFor(hash));
        var mixed = new AccountSet("hold-mixed", options.MixedAccounts, accounts.Passwords);
        var wrong = accounts.EncodeAll(correctPassword: false)[0];
        foreach (var system in session.Systems)
        {
            await system.SeedAsync(accounts, cancellationToken);
            await system.SeedAsync(mixed, cancellationToken);
            var lockIt = LoadRun.ClosedLoop(system.LoginEndpoint, new SequenceRequestPlan(LockoutSystem.GuessBudget + 1, _ => new LoginRequest(wrong, 0)), 1, duration: null);
            await lockIt.RunAsync(cancellationToken);

            var processes = string.Join(", ", system.Processes.Select(group => $"{group.Role} {string.Join(' ', group.Pids)}"));
            AnsiConsole.MarkupLine(Markup.Escape($"{system.Name}: http://{system.LoginEndpoint}/login, account {accounts.Username(0)} locked; processes: {processes}"));
            AnsiConsole.MarkupLine(Markup.Escape($"  wrk -t2 -c1000 -d15s -s bench/Lockout.Benchmarks/wrk-login.lua http://{system.LoginEndpoint}/login"));
            AnsiConsole.MarkupLine(Markup.Escape($"  wrk -t2 -c100 -d15s -s bench/Lockout.Benchmarks/wrk-mixed.lua http://{system.LoginEndpoint}/login"));
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
