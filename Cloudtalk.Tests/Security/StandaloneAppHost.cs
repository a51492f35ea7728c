using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Security;

/// <summary>
/// The built AppHost in a process of its own, started the way ./run.sh starts it: the settings of its "http" launch
/// profile, the dashboard on, local backing servers. Unlike ./run.sh it never takes a fixed port, so that it cannot
/// clash with a developer's ./run.sh (dashboard 18888-18890, Api 5080, Rating 5090), and has a state folder of its own.
/// Disposing it kills whatever is left of it, so a failing test leaves nothing running.
/// </summary>
internal sealed class StandaloneAppHost : IAsyncDisposable
{
    private const string LaunchProfile = "http";

    // Inherited by the AppHost and everything it starts (DCP, the dashboard, the services, the servers): how to find
    // them all again.
    private const string MarkerVariable = "CLOUDTALK_TEST_APPHOST";

    // Closes every descriptor above stderr that the test host inherited, then execs the AppHost in place (so its pid is
    // the one to signal). The servers it starts would otherwise hold them open, and a CI runner waiting for the end of
    // the test output would wait for the servers too.
    private const string CloseInheritedDescriptorsAndExec =
        """for fd in /proc/$$/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ] && [ -e "/proc/$$/fd/$fd" ]; then exec {fd}>&-; fi; done; exec "$@" """;

    private readonly Process _process;
    private readonly string _marker;
    private readonly List<string> _output = [];

    private StandaloneAppHost(Process process, string marker, string stateRoot)
    {
        _process = process;
        _marker = marker;
        StateRoot = stateRoot;
    }

    /// <summary>The parent of the AppHost's local run folder (<c>--LocalBacking:StateRoot</c>).</summary>
    public string StateRoot { get; }

    public static StandaloneAppHost Start()
    {
        var marker = Guid.NewGuid().ToString("N");
        var stateRoot = Path.Combine(Path.GetTempPath(), "cloudtalk-tests", $"standalone-{marker[..12]}");
        var environment = LaunchProfileEnvironment();

        // The AppHost the tests were built with (the same code ./run.sh builds in Release).
        var appHost = Path.Combine(AppContext.BaseDirectory, "Cloudtalk.AppHost.dll");
        var start = new ProcessStartInfo("bash",
            ["-c", CloseInheritedDescriptorsAndExec, "bash", "dotnet", appHost, "--backing", "local", "--LocalBacking:StateRoot", stateRoot,
                // As under Aspire.Hosting.Testing: DCP puts every endpoint on a random port, the services' fixed ones
                // (5080, 5090) and the dashboard's too (behind a proxy, so its address is the one the AppHost prints).
                "--DcpPublisher:RandomizePorts", "true"])
        {
            WorkingDirectory = RepositoryLayout.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // As in ProcessRunner: the test host may run under dotnet test's MSBuild environment, which is not ./run.sh's.
        foreach (var inherited in new[] { "MSBuildSDKsPath", "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" })
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment[MarkerVariable] = marker;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        var process = new Process { StartInfo = start };
        var appHostProcess = new StandaloneAppHost(process, marker, stateRoot);
        process.OutputDataReceived += (_, line) => appHostProcess.Collect(line.Data);
        process.ErrorDataReceived += (_, line) => appHostProcess.Collect(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return appHostProcess;
    }

    /// <summary>What the AppHost printed so far, stdout and stderr interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>Waits until the AppHost prints a line that matches; fails if it exits or takes longer.</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            lock (_output)
            {
                foreach (var line in _output)
                {
                    if (pattern.Match(line) is { Success: true } match)
                    {
                        return match;
                    }
                }
            }

            if (_process.HasExited)
            {
                Assert.Fail($"The AppHost exited ({_process.ExitCode}) before printing /{pattern}/:\n{Output}");
            }

            Assert.True(deadline.Elapsed < timeout, $"The AppHost did not print /{pattern}/ within {timeout.TotalSeconds} s:\n{Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Stops the AppHost with SIGTERM (the README's other way to stop ./run.sh, besides Ctrl+C) and asserts that it
    /// exits with 0 and that nothing it started is left: no process, no run folder.
    /// </summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        Backing.Signal(_process.Id, "TERM");
        using (var exit = new CancellationTokenSource(timeout))
        {
            try
            {
                await _process.WaitForExitAsync(exit.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"The AppHost did not exit within {timeout.TotalSeconds} s of SIGTERM:\n{Output}");
            }
        }

        Assert.True(_process.ExitCode == 0, $"The AppHost exited with {_process.ExitCode} on SIGTERM:\n{Output}");

        // DCP stops the processes it ran once it sees the AppHost gone, which takes it a few seconds.
        var deadline = Stopwatch.StartNew();
        while (LeftOver() is { Count: > 0 } left)
        {
            Assert.True(deadline.Elapsed < timeout,
                $"Still running {timeout.TotalSeconds} s after the AppHost exited: {string.Join(", ", left.Select(pid => $"{ProcessTable.Name(pid)} ({pid})"))}");
            await Task.Delay(200);
        }

        Assert.Empty(Directory.Exists(StateRoot) ? Directory.GetFileSystemEntries(StateRoot) : []);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(exit.Token);
            }
            catch (OperationCanceledException)
            {
                // Its output may still be held open by a child; the marker sweep below ends those.
            }
        }

        // Whatever escaped the process tree (DCP runs its own sessions) is found by the marker.
        var deadline = Stopwatch.StartNew();
        while (LeftOver() is { Count: > 0 } left && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            ProcessTable.Kill(left);
            await Task.Delay(200);
        }

        _process.Dispose();
        if (Directory.Exists(StateRoot))
        {
            Directory.Delete(StateRoot, recursive: true);
        }
    }

    /// <summary>
    /// Everything of this AppHost still alive: what inherited its marker (DCP, the dashboard, the services), the servers
    /// by their run folder (their working folder, or the run marker: redis-server overwrites its environment), and
    /// whatever those started.
    /// </summary>
    private List<int> LeftOver() =>
        [.. ProcessTable.WithDescendants([
            .. ProcessTable.WithEnvironmentEntry($"{MarkerVariable}={_marker}"),
            .. ProcessTable.WithEnvironmentEntry($"CLOUDTALK_RUN_DIR={StateRoot}/"),
            .. ProcessTable.WorkingIn(StateRoot)])];

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }
    }

    /// <summary>
    /// The environment of the AppHost's launch profile, as <c>dotnet run --launch-profile http</c> sets it, with every
    /// URL in it moved to a free port of its own (should the randomized ports ever not apply to one of them). Read from
    /// the file, so the test follows the profile when it changes.
    /// </summary>
    private static Dictionary<string, string> LaunchProfileEnvironment()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(
            RepositoryLayout.PathOf("Cloudtalk.AppHost", "Properties", "launchSettings.json")));
        var profile = settings.RootElement.GetProperty("profiles").GetProperty(LaunchProfile);
        var environment = profile.GetProperty("environmentVariables").EnumerateObject()
            .ToDictionary(variable => variable.Name, variable => variable.Value.GetString() ?? "");
        foreach (var name in environment.Keys.Where(name => name.EndsWith("_URL", StringComparison.Ordinal)).ToList())
        {
            environment[name] = OnFreePort(environment[name]);
        }

        // dotnet run hands the profile's applicationUrl to the AppHost as ASPNETCORE_URLS: the dashboard's address.
        environment["ASPNETCORE_URLS"] = OnFreePort(profile.GetProperty("applicationUrl").GetString()!);
        return environment;
    }

    private static string OnFreePort(string url)
    {
        var uri = new Uri(url);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return $"{uri.Scheme}://{uri.Host}:{port.ToString(CultureInfo.InvariantCulture)}";
    }
}
