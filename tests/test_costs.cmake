# The longest tests' COST (their seconds in a release run beside two busy loops), read by ctest after
# gtest_discover_tests has listed the tests: with -j, ctest starts tests in decreasing cost, so the
# long ones start first instead of leaving one job running alone at the end. ctest replaces these
# with the times it records in Testing/Temporary/CTestCostData.txt once a build has run its tests.
# Parameterised tests are named as gtest_discover_tests names them, with their parameter's value;
# a name that matches no test (renamed, or not built) is ignored.
set(weft_long_tests
  "Workers/Scale.MemoryGoesBackWhenTheRuntimeIsIdleAndTheNextBurstReusesIt/1w  # GetParam() = 1" 11
  "Workers/Scale.MemoryGoesBackWhenTheRuntimeIsIdleAndTheNextBurstReusesIt/2w  # GetParam() = 2" 11
  "Workers/Scale.MemoryGoesBackWhenTheRuntimeIsIdleAndTheNextBurstReusesIt/8w  # GetParam() = 8" 8
  "CellPool.ConcurrentRemoteFreesWhileTheOwnerAllocates" 9
  "Lifecycle.StatsAndWaitAllDuringRestarts" 7
  "Workers/Channel.ExactlyOnceUnderARandomMix/4workers  # GetParam() = 4" 5
  "Workers/Sleep.TwentyThousandConcurrentSleeps/1workers  # GetParam() = 1" 5
  "Workers/Suspend.AwaitChainDeeperThanTheWorkerStack/1workers  # GetParam() = 1" 4
  "Workers/Suspend.ManyTasksAwaitOneFuture/1workers  # GetParam() = 1" 3
  "Workers/Sleep.TwentyThousandConcurrentSleeps/2workers  # GetParam() = 2" 3
  "Workers/Scale.MemoryGoesBackWhenTheRuntimeIsDestroyed/2w  # GetParam() = 2" 3
  "Workers/Suspend.AwaitChainDeeperThanTheWorkerStack/2workers  # GetParam() = 2" 2
  "Workers/Suspend.AwaitChainDeeperThanTheWorkerStack/4workers  # GetParam() = 4" 2
  "Workers/Channel.ExactlyOnceUnderARandomMix/1workers  # GetParam() = 1" 2
  "Workers/Channel.ExactlyOnceUnderARandomMix/2workers  # GetParam() = 2" 2
  "Workers/Suspend.ManyTasksAwaitOneFuture/2workers  # GetParam() = 2" 2
  "Workers/Suspend.ManyTasksAwaitOneFuture/4workers  # GetParam() = 4" 2
  "Workers/Sleep.TwentyThousandConcurrentSleeps/4workers  # GetParam() = 4" 2)
while(weft_long_tests)
  list(POP_FRONT weft_long_tests name cost)
  set_tests_properties("${name}" PROPERTIES COST ${cost})
endwhile()
