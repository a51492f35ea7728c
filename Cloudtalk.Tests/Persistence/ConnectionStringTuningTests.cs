using Cloudtalk.Common.Persistence;
using Npgsql;

namespace Cloudtalk.Tests.Persistence;

/// <summary>The Npgsql settings both services add to the connection string Aspire gives them.</summary>
public sealed class ConnectionStringTuningTests
{
    [Fact]
    public void A_connection_string_without_them_gets_statement_preparation_and_the_smaller_pool()
    {
        var tuned = new NpgsqlConnectionStringBuilder(
            ConnectionStringTuning.Apply("Host=localhost;Port=5432;Username=cloudtalk;Password=secret;Database=apidb"));

        Assert.Equal(ConnectionStringTuning.MaxAutoPrepare, tuned.MaxAutoPrepare);
        Assert.Equal(ConnectionStringTuning.MaxPoolSize, tuned.MaxPoolSize);
        Assert.Equal("apidb", tuned.Database);
        Assert.Equal("secret", tuned.Password);
    }

    [Theory]
    [InlineData("Host=db;Maximum Pool Size=100;Max Auto Prepare=0", 100, 0)]
    [InlineData("Host=db;MaxPoolSize=7;MaxAutoPrepare=5", 7, 5)]
    [InlineData("Host=db;maximum pool size=9", 9, ConnectionStringTuning.MaxAutoPrepare)]
    public void Settings_the_connection_string_carries_are_kept(string connectionString, int pool, int prepare)
    {
        var tuned = new NpgsqlConnectionStringBuilder(ConnectionStringTuning.Apply(connectionString));

        Assert.Equal(pool, tuned.MaxPoolSize);
        Assert.Equal(prepare, tuned.MaxAutoPrepare);
    }

    [Fact]
    public void No_connection_string_stays_none() => Assert.Null(ConnectionStringTuning.Apply(null));
}
