#include "procrun/environment.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

using namespace procrun;

TEST_CASE("Environment keeps the order of first insertion", "[environment]") {
    Environment env;
    CHECK(env.empty());
    env.set("B", "1");
    env.set("A", "2");
    env.set("C", "3");
    env.set("A", "replaced");  // in place: A stays second
    CHECK(env.size() == 3);
    CHECK(env.entries() ==
          std::vector<Environment::Entry>{{"B", "1"}, {"A", "replaced"}, {"C", "3"}});
    CHECK(env.to_strings() == std::vector<std::string>{"B=1", "A=replaced", "C=3"});
}

TEST_CASE("Environment lookups", "[environment]") {
    const Environment env{{"EMPTY", ""}, {"PATH", "/bin"}, {"X", "a=b"}};
    REQUIRE(env.find("PATH") != nullptr);
    CHECK(*env.find("PATH") == "/bin");
    CHECK(env.find("path") == nullptr);  // names are case-sensitive
    CHECK(env.get("EMPTY") == "");
    CHECK(env.contains("EMPTY"));
    CHECK(env.get("MISSING") == std::nullopt);
    CHECK_FALSE(env.contains("MISSING"));
    CHECK(env.get("X") == "a=b");
    CHECK(env.to_strings()[2] == "X=a=b");
}

TEST_CASE("Environment: a later value of a key in the initializer wins", "[environment]") {
    const Environment env{{"A", "1"}, {"B", "2"}, {"A", "3"}};
    CHECK(env.entries() == std::vector<Environment::Entry>{{"A", "3"}, {"B", "2"}});
}

TEST_CASE("Environment::merge: the other side wins, new keys are appended", "[environment]") {
    // The precedence every command uses: the inherited environment, then the
    // env files over it, then PORT and PS over both.
    Environment os{{"HOME", "/home/me"}, {"RACK_ENV", "production"}, {"PATH", "/usr/bin"}};
    const Environment files{{"RACK_ENV", "development"}, {"DATABASE_URL", "postgres://db"}};
    os.merge(files);
    CHECK(os.entries() == std::vector<Environment::Entry>{{"HOME", "/home/me"},
                                                          {"RACK_ENV", "development"},
                                                          {"PATH", "/usr/bin"},
                                                          {"DATABASE_URL", "postgres://db"}});
    os.merge(Environment{{"PORT", "5000"}, {"DATABASE_URL", "other"}});
    CHECK(os.get("PORT") == "5000");
    CHECK(os.get("DATABASE_URL") == "other");
    CHECK(os.size() == 5);

    Environment self{{"A", "1"}};
    self.merge(Environment{});
    CHECK(self == Environment{{"A", "1"}});
}

TEST_CASE("Environment::erase keeps the others in order and findable", "[environment]") {
    Environment env{{"A", "1"}, {"B", "2"}, {"C", "3"}, {"D", "4"}};
    CHECK(env.erase("B"));
    CHECK_FALSE(env.erase("B"));
    CHECK(env.entries() == std::vector<Environment::Entry>{{"A", "1"}, {"C", "3"}, {"D", "4"}});
    CHECK(env.get("C") == "3");
    CHECK(env.get("D") == "4");
    env.set("C", "x");
    env.set("B", "again");
    CHECK(env.to_strings() == std::vector<std::string>{"A=1", "C=x", "D=4", "B=again"});
}

TEST_CASE("Environment: a few variables and many find the same, across erases", "[environment]") {
    Environment env;
    for (int i = 0; i < 20; ++i) {
        env.set("K" + std::to_string(i), std::to_string(i));
        for (int j = 0; j <= i; ++j)
            REQUIRE(env.get("K" + std::to_string(j)) == std::to_string(j));
        CHECK_FALSE(env.contains("K" + std::to_string(i + 1)));
    }
    env.set("K3", "three");
    CHECK(env.size() == 20);
    CHECK(env.entries()[3] == Environment::Entry{"K3", "three"});
    for (int i = 19; i >= 0; i -= 2)
        REQUIRE(env.erase("K" + std::to_string(i)));
    CHECK(env.size() == 10);
    for (int i = 0; i < 20; ++i)
        CHECK(env.contains("K" + std::to_string(i)) == (i % 2 == 0));
    for (int i = 0; i < 20; i += 2)
        REQUIRE(env.erase("K" + std::to_string(i)));
    CHECK(env.empty());
    env.set("A", "1");
    CHECK(env.get("A") == "1");
}

TEST_CASE("Environment equality is by variables, values and order", "[environment]") {
    CHECK(Environment{{"A", "1"}, {"B", "2"}} == Environment{{"A", "1"}, {"B", "2"}});
    CHECK_FALSE(Environment{{"A", "1"}, {"B", "2"}} == Environment{{"B", "2"}, {"A", "1"}});
    CHECK_FALSE(Environment{{"A", "1"}} == Environment{{"A", "2"}});
    Environment built;
    built.set("A", "0");
    built.set("B", "2");
    built.set("A", "1");
    CHECK(built == Environment{{"A", "1"}, {"B", "2"}});
}

TEST_CASE("Environment::from_process reads environ", "[environment]") {
    REQUIRE(::setenv("PROCRUN_ENVIRONMENT_TEST", "a=b c", 1) == 0);
    const Environment env = Environment::from_process();
    CHECK(env.get("PROCRUN_ENVIRONMENT_TEST") == "a=b c");
    ::unsetenv("PROCRUN_ENVIRONMENT_TEST");
    CHECK_FALSE(Environment::from_process().contains("PROCRUN_ENVIRONMENT_TEST"));
}

TEST_CASE("Environment: setting n variables costs O(n)", "[environment]") {
    // Counting time with a margin wide enough for a loaded machine: with a
    // linear scan per set, 4x the variables cost 16x the time; with the index
    // about 4x. The bound below (8x) separates the two.
    auto build = [](int n) {
        const std::clock_t start = std::clock();
        Environment env;
        for (int i = 0; i < n; ++i)
            env.set("VARIABLE_" + std::to_string(i), "value");
        for (int i = 0; i < n; ++i)
            REQUIRE(env.find("VARIABLE_" + std::to_string(i)) != nullptr);
        return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
    };
    build(5000);  // warm the allocator
    double small = 0;
    double large = 0;
    // The best of three runs of each, so one hiccup does not decide.
    for (int round = 0; round < 3; ++round) {
        const double s = build(25000);
        const double l = build(100000);
        small = round == 0 ? s : std::min(small, s);
        large = round == 0 ? l : std::min(large, l);
    }
    INFO("25k: " << small << " s, 100k: " << large << " s");
    CHECK(large < 8 * small + 0.05);
}
