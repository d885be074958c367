/**
 * The C# source of `sftpgo-service.exe`, the small program that the Windows
 * service runs. Node.js cannot answer the service control manager itself (a
 * service's process must call StartServiceCtrlDispatcher, or the manager
 * kills it), so `sftpgo service install` writes this source into the config
 * dir and compiles it with the C# compiler of the .NET Framework 4 that
 * Windows ships (`%SystemRoot%\Microsoft.NET\Framework64\v4.0.30319\csc.exe`).
 * It is plain C# 5, the language of that compiler.
 *
 * Its command line, the service's binary path, is
 *   sftpgo-service.exe "<node.exe>" <node's arguments, as Windows quotes them>
 * It starts node with those arguments, sharing a console of its own; when the
 * service is stopped (or Windows shuts down) it sends that console Ctrl+C,
 * which node receives as SIGINT (stop accepting, let transfers finish up to
 * 30 s), and kills node if it is still there 35 s later. If node exits by
 * itself, the host exits with an error, so that the service's recovery
 * actions (`sc.exe failure`) restart it.
 */
export const SERVICE_HOST_SOURCE = String.raw`// sftpgo-service: runs sftpgo serve as a Windows service.
// Written and compiled by "sftpgo service install"; see docs/running-as-a-service.md.
using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.ServiceProcess;

public sealed class SftpgoService : ServiceBase
{
    const uint CtrlCEvent = 0;
    const int StopGraceMs = 35000;

    [DllImport("kernel32.dll", SetLastError = true)]
    static extern bool AllocConsole();

    [DllImport("kernel32.dll", SetLastError = true)]
    static extern bool SetConsoleCtrlHandler(IntPtr handler, bool add);

    [DllImport("kernel32.dll", SetLastError = true)]
    static extern bool GenerateConsoleCtrlEvent(uint ctrlEvent, uint processGroupId);

    readonly string program;
    readonly string arguments;
    Process child;
    volatile bool stopping;

    SftpgoService(string program, string arguments)
    {
        ServiceName = "SFTPGo";
        CanStop = true;
        CanShutdown = true;
        this.program = program;
        this.arguments = arguments;
    }

    protected override void OnStart(string[] args)
    {
        // A console for node to share, so that Ctrl+C can be sent to it.
        AllocConsole();
        ProcessStartInfo info = new ProcessStartInfo(program, arguments);
        info.UseShellExecute = false;
        info.WorkingDirectory = AppDomain.CurrentDomain.BaseDirectory;
        child = Process.Start(info);
        child.EnableRaisingEvents = true;
        child.Exited += OnChildExited;
    }

    void OnChildExited(object sender, EventArgs e)
    {
        if (stopping) return;
        int code = child.ExitCode;
        Log("sftpgo serve exited by itself with code " + code, EventLogEntryType.Error);
        // Not a stop the manager asked for: fail, so that the recovery actions apply.
        Environment.Exit(code == 0 ? 1 : code);
    }

    protected override void OnStop()
    {
        StopChild();
    }

    protected override void OnShutdown()
    {
        StopChild();
    }

    void StopChild()
    {
        stopping = true;
        if (child == null || child.HasExited) return;
        RequestAdditionalTime(StopGraceMs + 5000);
        // Ctrl+C to every process of this console but this one: node's SIGINT.
        SetConsoleCtrlHandler(IntPtr.Zero, true);
        GenerateConsoleCtrlEvent(CtrlCEvent, 0);
        if (!child.WaitForExit(StopGraceMs))
        {
            Log("sftpgo serve did not stop in time: killed", EventLogEntryType.Warning);
            child.Kill();
        }
    }

    void Log(string message, EventLogEntryType type)
    {
        try
        {
            EventLog.WriteEntry(message, type);
        }
        catch (Exception)
        {
            // no event log source: nothing more to do
        }
    }

    // What follows the first argument of a command line: that argument is
    // either quoted (a path) or has no space in it.
    static string SkipArgument(string commandLine)
    {
        string s = commandLine.TrimStart();
        int end;
        if (s.StartsWith("\""))
        {
            end = s.IndexOf('"', 1);
            end = end < 0 ? s.Length : end + 1;
        }
        else
        {
            end = s.IndexOfAny(new char[] { ' ', '\t' });
            if (end < 0) end = s.Length;
        }
        return s.Substring(end).TrimStart();
    }

    public static int Main()
    {
        string rest = SkipArgument(Environment.CommandLine);
        string arguments = SkipArgument(rest);
        string program = rest.Substring(0, rest.Length - arguments.Length).Trim().Trim('"');
        if (program.Length == 0)
        {
            Console.Error.WriteLine("usage: sftpgo-service.exe <program> [arguments...]; run by the service manager");
            return 2;
        }
        ServiceBase.Run(new SftpgoService(program, arguments));
        return 0;
    }
}
`;
