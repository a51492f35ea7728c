using System.Net;
using Cloudtalk.Tests.Infrastructure;
using Npgsql;

namespace Cloudtalk.Tests.Security;

/// <summary>
/// In local mode the backing servers are reachable from this machine only: every TCP socket they listen on is bound
/// to a loopback address, none to 0.0.0.0 or ::, as the kernel reports it (not as the configuration intends it).
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class LoopbackListenerTests(CloudtalkAppFixture fixture)
{
    // The programs as the kernel names them: PostgreSQL runs through setpriv, which execs in place, and RabbitMQ
    // is an Erlang VM (beam.smp) that registers with its own epmd.
    private static readonly string[] Servers = ["postgres", "redis-server", "beam.smp", "epmd"];

    [Fact]
    public async Task Every_backing_server_listens_on_loopback_only()
    {
        // This run's servers and everything they started, found by their run folder (other systems on this machine,
        // another test run or a developer's ./run.sh, have folders of their own): each server works in its folder
        // there, and each inherits the run marker, which finds a helper that moved elsewhere (a daemonized epmd). Both,
        // because redis-server and PostgreSQL's children overwrite their environment when they retitle themselves.
        var stateRoot = fixture.App.StateRoot;
        var processes = ProcessTable.WithDescendants([
            .. ProcessTable.WorkingIn(stateRoot),
            .. ProcessTable.WithEnvironmentEntry($"CLOUDTALK_RUN_DIR={stateRoot}/")]);
        var listening = ListeningSockets.All();
        var found = processes
            .Select(pid => (Pid: pid, Name: ProcessTable.Name(pid) ?? "(gone)", Inodes: ListeningSockets.SocketInodesOf(pid)))
            .SelectMany(process => process.Inodes
                .Where(listening.ContainsKey)
                .Select(inode => (process.Pid, process.Name, listening[inode].Endpoint)))
            .ToList();
        var report = string.Join("\n", found.Select(socket => $"{socket.Name} ({socket.Pid}) listens on {socket.Endpoint}"));

        // Nothing of this run, server or helper, listens beyond loopback.
        foreach (var (pid, name, endpoint) in found)
        {
            Assert.True(IsLoopback(endpoint.Address), $"{name} ({pid}) listens on {endpoint}, not on loopback only:\n{report}");
        }

        // Each server was seen listening (so the loop above cannot pass on nothing), on the port the services are given.
        foreach (var server in Servers)
        {
            Assert.True(found.Any(socket => socket.Name == server), $"No listening socket of {server} found among {processes.Count} processes of this run:\n{report}");
        }

        var expectedPorts = new (string Server, int Port)[]
        {
            ("postgres", new NpgsqlConnectionStringBuilder(await fixture.App.GetConnectionStringAsync("apidb")).Port),
            ("redis-server", PortOf(StackExchange.Redis.ConfigurationOptions.Parse(await fixture.App.GetConnectionStringAsync("cache")).EndPoints.Single())),
            ("beam.smp", new Uri(await fixture.App.GetConnectionStringAsync("messaging")).Port),
        };
        foreach (var (server, port) in expectedPorts)
        {
            Assert.True(found.Any(socket => socket.Name == server && socket.Endpoint.Port == port),
                $"{server} does not listen on port {port} of its connection string:\n{report}");
        }
    }

    /// <summary>127.0.0.1 (any of 127/8, also written ::ffff:127.0.0.1) or ::1; never a wildcard or an interface's address.</summary>
    private static bool IsLoopback(IPAddress address) =>
        IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private static int PortOf(EndPoint endpoint) => endpoint switch
    {
        IPEndPoint ip => ip.Port,
        DnsEndPoint dns => dns.Port,
        _ => throw new InvalidOperationException($"Unexpected Redis endpoint {endpoint}."),
    };
}
