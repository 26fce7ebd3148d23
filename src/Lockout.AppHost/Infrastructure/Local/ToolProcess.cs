using System.Diagnostics;

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>What a command-line tool printed, and how it exited.</summary>
internal sealed record ToolResult(int ExitCode, string Output, string Errors);

/// <summary>Runs one of local mode's command-line tools (<c>initdb</c>, <c>redis-cli</c>, ...) to completion.</summary>
internal static class ToolProcess
{
    /// <summary>
    /// Runs <paramref name="program"/> with its arguments given one by one (no shell, so nothing in them is interpreted)
    /// and returns what it printed. Secrets go in <paramref name="environment"/>, never in the arguments, which every local
    /// user can read in the process list.
    /// </summary>
    public static async Task<ToolResult> RunAsync(
        string program, IEnumerable<string> arguments, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {program}.");
        // Both streams are read while the tool runs, so that neither fills its pipe and blocks it.
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return new ToolResult(process.ExitCode, await output, await errors);
    }
}
