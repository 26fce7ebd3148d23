using System.Runtime.InteropServices;
using Lockout.Benchmarks.Measurement;

namespace Lockout.Benchmarks.Reporting;

/// <summary>Where and when the numbers were measured.</summary>
internal sealed record MachineInfo(DateTime DateUtc, string Host, int Cores, string CpuModel, double MemoryGiB, string OperatingSystem, string Runtime)
{
    public static MachineInfo Current() => new(
        DateTime.UtcNow,
        Environment.MachineName,
        Environment.ProcessorCount,
        ProcFs.CpuModel(),
        Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024), 1),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription);

    public override string ToString() =>
        $"{DateUtc:yyyy-MM-dd HH:mm} UTC · {Cores} cores ({CpuModel}) · {MemoryGiB} GiB · {OperatingSystem} · {Runtime}";
}
