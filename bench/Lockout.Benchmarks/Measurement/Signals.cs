using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Lockout.Benchmarks.Measurement;

/// <summary>kill(2), for freezing and thawing a process of the system under test.</summary>
internal static class Signals
{
    public const int Continue = 18;
    public const int Stop = 19;

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"Signal {signal} to process {pid} failed.");
        }
    }

    // DllImport rather than LibraryImport, whose generated code needs AllowUnsafeBlocks.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
