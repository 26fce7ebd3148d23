using Lockout.Benchmarks;
using Lockout.Benchmarks.Baseline;
using Lockout.Benchmarks.Identity;

// Identity, the baseline and the reference ceiling run from this same executable, in child processes of the benchmark.
switch (args.FirstOrDefault())
{
    case IdentityServer.Command:
        return await IdentityServer.RunAsync(args);
    case BaselineServer.Command:
        return await BaselineServer.RunAsync(args);
    case CeilingServer.Command:
        return await CeilingServer.RunAsync();
}

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(BenchmarkOptions.Usage);
    return 0;
}

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args, RepositoryRoot());
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine(exception.Message);
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

if (options.RenderFrom is { } resultsJson)
{
    return BenchmarkRunner.Render(resultsJson, options);
}

// Redirected (CI, a log file) Spectre assumes 80 columns and wraps the results table into a column of fragments.
if (Console.IsOutputRedirected)
{
    Spectre.Console.AnsiConsole.Profile.Width = 240;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

// SIGTERM (kill, timeout) stops the run the same way, so the systems it started are stopped too.
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cancel.Cancel();
});

try
{
    return await BenchmarkRunner.RunAsync(options, cancel.Token);
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("Cancelled; the systems under test were stopped.");
    return options.Hold ? 0 : 130;
}

// The folder holding Lockout.sln, above this program's output folder.
static string RepositoryRoot()
{
    for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
    {
        if (File.Exists(Path.Combine(folder.FullName, "Lockout.sln")))
        {
            return folder.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}
