using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;

namespace Cloudtalk.AppHost.Backing.Local;

/// <summary>
/// RabbitMQ from Debian's rabbitmq-server, with a private epmd (its own resource, so nothing outlives the run),
/// every Erlang listener on loopback, and a generated user instead of guest/guest.
/// The inner script /usr/lib/rabbitmq/bin/rabbitmq-server is used because the /usr/sbin wrapper switches
/// user and resets HOME, where Erlang keeps its cookie.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class LocalRabbitMq
{
    private const string User = "cloudtalk";

    public static IResourceBuilder<IResourceWithConnectionString> AddLocalRabbitMq(
        this IDistributedApplicationBuilder builder, LocalStateFolder state)
    {
        var server = LocalServer.RequireBinary("rabbitmq-server", "/usr/lib/rabbitmq/bin/rabbitmq-server");
        var epmdBinary = LocalServer.RequireBinary("erlang-base (with rabbitmq-server)", "/usr/bin/epmd");
        var amqpPort = LocalServer.FreePort();
        var distributionPort = LocalServer.FreePort();
        var epmdPort = LocalServer.FreePort();
        var password = LocalServer.NewPassword();
        var passwordParameter = builder.AddParameter("messaging-password", password, secret: true);

        var folder = state.Combine("rabbitmq");
        var home = Path.Combine(folder, "home");
        Directory.CreateDirectory(home);
        var configFile = Path.Combine(folder, "rabbitmq.conf");
        LocalServer.WritePrivateFile(configFile, $"""
            listeners.tcp.1 = {LocalServer.Host}:{amqpPort}
            default_user = {User}
            default_pass = {password}
            log.console = true
            log.console.level = info
            log.file = false
            """);
        File.WriteAllText(Path.Combine(folder, "enabled_plugins"), "[].");
        File.WriteAllText(Path.Combine(folder, "rabbitmq-env.conf"), string.Empty);

        var epmd = builder.AddExecutable("epmd", epmdBinary, folder,
                "-port", epmdPort.ToString(CultureInfo.InvariantCulture), "-address", LocalServer.Host)
            .InRun(state)
            .WithLoopbackEndpoint("tcp", epmdPort);
        // RabbitMQ starts its own daemonized epmd if ours is not listening yet: wait for a real connect.
        var epmdCheck = "epmd-connect";
        builder.Services.AddHealthChecks().AddAsyncCheck(epmdCheck, cancellationToken =>
            EpmdNamesAsync(epmdPort, cancellationToken));
        epmd.WithHealthCheck(epmdCheck);

        var broker = builder.AddExecutable("rabbitmq", server, folder)
            .InRun(state)
            .WithEnvironment("HOME", home)
            .WithEnvironment("RABBITMQ_NODENAME", $"cloudtalk-{Path.GetFileName(state.Path)}@localhost")
            .WithEnvironment("RABBITMQ_NODE_IP_ADDRESS", LocalServer.Host)
            .WithEnvironment("RABBITMQ_NODE_PORT", amqpPort.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("RABBITMQ_DIST_PORT", distributionPort.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("ERL_EPMD_PORT", epmdPort.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("ERL_EPMD_ADDRESS", LocalServer.Host)
            .WithEnvironment("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}")
            .WithEnvironment("RABBITMQ_MNESIA_BASE", Path.Combine(folder, "mnesia"))
            .WithEnvironment("RABBITMQ_LOG_BASE", Path.Combine(folder, "log"))
            .WithEnvironment("RABBITMQ_LOGS", "-")
            .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", Path.Combine(folder, "enabled_plugins"))
            .WithEnvironment("RABBITMQ_CONF_ENV_FILE", Path.Combine(folder, "rabbitmq-env.conf"))
            .WithEnvironment("RABBITMQ_CONFIG_FILE", configFile)
            .WithLoopbackEndpoint("tcp", amqpPort)
            .WaitFor(epmd);

        var uri = new Uri($"amqp://{User}:{password}@{LocalServer.Host}:{amqpPort}/");
        var brokerCheck = "rabbitmq-connect";
        builder.Services.AddHealthChecks().AddAsyncCheck(brokerCheck, cancellationToken =>
            AmqpConnectAsync(uri, cancellationToken));
        broker.WithHealthCheck(brokerCheck);

        var portText = amqpPort.ToString(CultureInfo.InvariantCulture);
        return builder.AddConnectionString(BackingServices.MessagingName, ReferenceExpression.Create(
                $"amqp://{User}:{passwordParameter.Resource}@{LocalServer.Host}:{portText}/"))
            .WaitFor(broker);
    }

    private static async Task<HealthCheckResult> AmqpConnectAsync(Uri uri, CancellationToken cancellationToken)
    {
        try
        {
            var factory = new ConnectionFactory { Uri = uri, RequestedConnectionTimeout = TimeSpan.FromSeconds(2) };
            await using var connection = await factory.CreateConnectionAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("RabbitMQ does not accept connections yet.");
        }
    }

    /// <summary>
    /// A real epmd request (NAMES_REQ: length 1, byte 'n'): epmd answers with its port. A bare connect would do
    /// as a probe, but epmd logs every connection closed without a request as an error.
    /// </summary>
    private static async Task<HealthCheckResult> EpmdNamesAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(LocalServer.Host, port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(new byte[] { 0, 1, (byte)'n' }, cancellationToken);
            var answer = new byte[4];
            await stream.ReadExactlyAsync(answer, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is System.Net.Sockets.SocketException or IOException or EndOfStreamException)
        {
            return HealthCheckResult.Unhealthy($"epmd does not answer on port {port} yet.");
        }
    }
}
