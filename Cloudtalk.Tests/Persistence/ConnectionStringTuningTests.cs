using Cloudtalk.Common.Persistence;
using Npgsql;

namespace Cloudtalk.Tests.Persistence;

/// <summary>The Npgsql settings both services add to the connection string Aspire gives them.</summary>
public sealed class ConnectionStringTuningTests
{
    [Fact]
    public void A_connection_string_without_them_gets_statement_preparation_the_smaller_pool_and_no_reset()
    {
        var tuned = new NpgsqlConnectionStringBuilder(
            ConnectionStringTuning.Apply("Host=localhost;Port=5432;Username=cloudtalk;Password=secret;Database=apidb"));

        // Preparation on (Npgsql's default is off), a pool smaller than Npgsql's default.
        Assert.True(tuned.MaxAutoPrepare > 0, $"MaxAutoPrepare is {tuned.MaxAutoPrepare}");
        Assert.True(tuned.MaxPoolSize < new NpgsqlConnectionStringBuilder().MaxPoolSize, $"MaxPoolSize is {tuned.MaxPoolSize}");
        Assert.Equal(ConnectionStringTuning.MaxAutoPrepare, tuned.MaxAutoPrepare);
        Assert.Equal(ConnectionStringTuning.MaxPoolSize, tuned.MaxPoolSize);
        Assert.True(tuned.NoResetOnClose);
        Assert.Equal("apidb", tuned.Database);
        Assert.Equal("secret", tuned.Password);
    }

    [Theory]
    [InlineData("Host=db;Maximum Pool Size=100;Max Auto Prepare=0;No Reset On Close=false", 100, 0, false)]
    [InlineData("Host=db;MaxPoolSize=7;MaxAutoPrepare=5", 7, 5, true)]
    [InlineData("Host=db;maximum pool size=9;noresetonclose=False", 9, ConnectionStringTuning.MaxAutoPrepare, false)]
    public void Settings_the_connection_string_carries_are_kept(string connectionString, int pool, int prepare, bool noReset)
    {
        var tuned = new NpgsqlConnectionStringBuilder(ConnectionStringTuning.Apply(connectionString));

        Assert.Equal(pool, tuned.MaxPoolSize);
        Assert.Equal(prepare, tuned.MaxAutoPrepare);
        Assert.Equal(noReset, tuned.NoResetOnClose);
    }

    [Fact]
    public void No_connection_string_stays_none() => Assert.Null(ConnectionStringTuning.Apply(null));
}
